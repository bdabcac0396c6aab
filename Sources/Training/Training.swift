// The Training library; see README.md (Architecture).
