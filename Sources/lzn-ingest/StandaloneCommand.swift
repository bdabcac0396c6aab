import ArgumentParser
import Datasets
import Foundation
import StageKit
import Store

/// `lzn-ingest --store PATH --format F --name NAME [INPUT ...]`: ingest outside any pipeline.
/// The source is read and checked completely before the store is opened, so a bad input leaves
/// the store untouched (not even created).
struct StandaloneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lzn-ingest",
        abstract: "Turn a dataset on disk into a dataset artifact in the store.",
        discussion: """
            Formats and their INPUTs: fashion-mnist (none: reads \(Ingest.fashionMNISTFolder)), idx (images file \
            [labels file], gzipped or not), cifar10 (the cifar-10-batches-bin folder, or batch files [+ batches.meta.txt]), \
            npy (images .npy [labels .npy]), jpeg-folder (a folder with one subfolder per class, or flat; needs --size).
            In a pipeline the scheduler runs `lzn-ingest --store PATH --stage-run ID`; `lzn-ingest --describe` prints \
            the stage's parameters.
            """)

    @Option(help: "Store path (default: $LZN_STORE, else .lzn/store.sqlite).") var store: String?
    @Option(help: "Source format: \(SourceFormat.allCases.map(\.rawValue).joined(separator: ", ")).") var format: String
    @Option(help: "Name of the dataset artifact.") var name: String
    @Option(help: "Split: train or test.") var split: String = "train"
    @Option(help: "Side of the square output images (shorter-side resize + centre crop).") var size: Int?
    @Option(help: "Output channels, 1 or 3.") var channels: Int?
    @Option(name: .customLong("subset"), help: "Keep this many images, chosen with --subset-seed.") var subsetSize: Int?
    @Option(help: "Seed of the subset choice.") var subsetSeed: Int = 0
    @Option(help: "Hold this many train images (after --subset) out for validation, chosen with --holdout-seed.") var holdout: Int?
    @Option(help: "Seed of the holdout choice.") var holdoutSeed: Int = 0
    @Option(help: "With --holdout: fit (the images not held out) or holdout.") var part: String = "all"
    @Option(help: "Number of classes for idx/npy labels.") var classes: Int?
    @Option(help: "Whether horizontal flips are valid: auto, true or false.") var flippable: String = "auto"
    @Argument(help: "The files or folder the format needs.") var inputs: [String] = []

    var params: [String: ParamValue] {
        var p: [String: ParamValue] = [
            "format": .string(format), "split": .string(split), "name": .string(name),
            "inputs": .list(inputs.map(ParamValue.string)), "subset_seed": .int(subsetSeed), "flippable": .string(flippable),
            "holdout_seed": .int(holdoutSeed), "part": .string(part),
        ]
        if let holdout { p["holdout"] = .int(holdout) }
        if let size { p["size"] = .int(size) }
        if let channels { p["channels"] = .int(channels) }
        if let subsetSize { p["subset_size"] = .int(subsetSize) }
        if let classes { p["classes"] = .int(classes) }
        return p
    }

    func run() throws {
        let description = IngestStage.description
        let resolved = try description.resolveParams(params)
        let dataset = try Ingest.load(try IngestStage.request(from: StageParams(resolved)))
        let store = try Store.open(Store.resolvePath(option: self.store))
        defer { store.close() }
        let preloaded = Stage(description) { context in try IngestStage.register(dataset, context: context) }
        // Reading is cheap and registration content-addressed, so always read the files afresh
        // rather than trusting an earlier run with the same parameters.
        let outputs = try StageRunner.runStandalone(preloaded, store: store, params: resolved, reuse: false)
        guard let artifact = outputs["dataset"] else { throw StageError.missingOutputs(stage: description.name, outputs: ["dataset"]) }
        let labels = dataset.labels == nil ? "unlabelled" : "\(dataset.classNames.count) classes"
        print("\(artifact.id.hex) \(artifact.name)")
        print("dataset: \(dataset.count) images \(dataset.channels)×\(dataset.height)×\(dataset.width), \(labels), " +
              "split \(dataset.split.rawValue), \(dataset.flippable ? "flippable" : "not flippable"); \(dataset.source)")
    }

    /// Runs the command line; errors print one line to stderr and give a non-zero exit code.
    static func exitCode(running arguments: [String]) -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return StageExit.ok
        } catch let error as DatasetError {
            FileHandle.standardError.write(Data("lzn-ingest: error: \(error)\n".utf8))
            return StageExit.failed
        } catch StageError.badParams(let list) {
            FileHandle.standardError.write(Data("lzn-ingest: error: \(list.problems.map(\.description).joined(separator: "; "))\n".utf8))
            return StageExit.usage
        } catch {
            let code = self.exitCode(for: error).rawValue
            if code == 0 {
                print(fullMessage(for: error))  // --help
                return StageExit.ok
            }
            let message = error is StoreError || error is StageError ? "lzn-ingest: error: \(error)" : fullMessage(for: error)
            FileHandle.standardError.write(Data("\(message)\n".utf8))
            return error is StoreError || error is StageError ? StageExit.failed : StageExit.usage
        }
    }
}
