// Tests of the Training library.
