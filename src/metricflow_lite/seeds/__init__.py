"""Export files -> typed rows and rejects: discovery, descriptors, readers, natural keys."""
