// Tests of the Evaluation library.
