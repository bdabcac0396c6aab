// The Datasets library; see README.md (Architecture).
