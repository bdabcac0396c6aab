import StageKit
import Training

// lzn-train: a stage executable (`--describe`, `--store PATH --stage-run ID`); see TrainStage.
stageMain(TrainStage.stage)
