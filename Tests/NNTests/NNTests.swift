// Tests of the NN library.
