// lzn-generate: samples, class-conditional samples and reconstructions (see Evaluation/GenerateStage.swift).
import Evaluation
import StageKit

stageMain(GenerateStage.stage)
