// The ArrayFormats library; see README.md (Architecture).
