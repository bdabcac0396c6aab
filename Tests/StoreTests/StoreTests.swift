// Tests of the Store library.
