// Tests of the ArrayFormats library.
