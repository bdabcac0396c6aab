// Tests of the LZN library.
