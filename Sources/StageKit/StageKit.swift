// The StageKit library; see README.md (Architecture).
