// The Evaluation library; see README.md (Architecture).
