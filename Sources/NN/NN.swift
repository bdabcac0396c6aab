// The NN library; see README.md (Architecture).
