// lzn-fid: Fréchet distance between feature statistics (see Evaluation/FID.swift, FIDStage.swift).
// Pipeline mode runs FIDStage through StageKit; `--features-a A.npy --features-b B.npy` is the
// standalone mode on two feature matrices.
import ArgumentParser
import ArrayFormats
import Evaluation
import Foundation
import StageKit

struct LznFID: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lzn-fid",
        abstract: "Fréchet distance between two sets of feature vectors.",
        discussion: "Standalone: `lzn-fid --features-a A.npy --features-b B.npy` prints the FID of two float32/float64 "
            + ".npy matrices (rows = samples, columns = features): mean and unbiased covariance accumulated in float64, "
            + "the matrix square root through a symmetric eigendecomposition (LAPACK dsyevd). "
            + "In a pipeline (`lzn-fid --store PATH --stage-run ID`; parameters: `lzn-fid --describe`) the features come "
            + "from a classifier trained on the real training set, not from Inception-V3: the values compare models "
            + "within one store and are not comparable with published FIDs.")

    @Option(name: .customLong("features-a"), help: "First feature matrix (.npy, N×D).")
    var featuresA: String

    @Option(name: .customLong("features-b"), help: "Second feature matrix (.npy, M×D).")
    var featuresB: String

    func run() throws {
        let a = try FeatureStatistics(array: NPY.read(contentsOf: featuresA), source: featuresA)
        let b = try FeatureStatistics(array: NPY.read(contentsOf: featuresB), source: featuresB)
        print(try FID.distance(a, b))
    }
}

stageMain(FIDStage.stage) { arguments in
    do {
        var command = try LznFID.parseAsRoot(arguments)
        try command.run()
        return StageExit.ok
    } catch {
        LznFID.exit(withError: error)
    }
}
