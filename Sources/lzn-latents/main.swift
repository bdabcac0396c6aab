// lzn-latents: anchors, LZN latents and pooled encoder features of a dataset (see Evaluation/LatentsStage.swift).
import Evaluation
import StageKit

stageMain(LatentsStage.stage)
