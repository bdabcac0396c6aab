// Tests of the Engine library.
