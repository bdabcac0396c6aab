// The Store library; see README.md (Architecture).
