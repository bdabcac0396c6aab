// The LZN library; see README.md (Architecture).
