// The Pipeline library; see README.md (Architecture).
