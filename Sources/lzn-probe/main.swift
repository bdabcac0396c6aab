// lzn-probe: linear probes and classification accuracy (see Evaluation/ProbeStage.swift).
import Evaluation
import StageKit

stageMain(ProbeStage.stage)
