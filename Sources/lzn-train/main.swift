import Foundation
import StageKit
import Training

// lzn-train: a stage executable (`--describe`, `--store PATH --stage-run ID`); see TrainStage.
// `--mpi-worker ...` is one rank of a data-parallel run the stage started with mpirun (ranks > 1).
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--mpi-worker" { exit(TrainStage.mpiWorker(Array(arguments.dropFirst()))) }
stageMain(TrainStage.stage)
