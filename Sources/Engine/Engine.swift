// The Engine library; see README.md (Architecture).
