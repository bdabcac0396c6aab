import StageKit

// lzn-ingest: pipeline mode (`--store PATH --stage-run ID`, `--describe`) through StageKit,
// anything else is the standalone command line.
stageMain(IngestStage.stage) { arguments in StandaloneCommand.exitCode(running: arguments) }
