// Tests of the Pipeline library.
