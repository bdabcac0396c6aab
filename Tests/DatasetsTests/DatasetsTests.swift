// Tests of the Datasets library.
