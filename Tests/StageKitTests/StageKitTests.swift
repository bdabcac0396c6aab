// Tests of the StageKit library.
