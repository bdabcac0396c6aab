import Store

/// Errors of the stage runtime; each names the stage it happened in.
public enum StageError: Error, CustomStringConvertible, Equatable {
    case usage(String)
    /// Every problem with the parameters given to a stage (or a knob set); the list names the stage.
    case badParams(ParamProblemList)
    case stageRunNotRunnable(stage: String, id: Int64, reason: String)
    case missingInput(stage: String, input: String)
    case undeclaredInput(stage: String, input: String)
    case wrongInputKind(stage: String, input: String, expected: String, got: String, artifact: String)
    case undeclaredOutput(stage: String, output: String)
    case wrongOutputKind(stage: String, output: String, expected: String, got: String)
    case missingOutputs(stage: String, outputs: [String])
    /// A failure inside the stage's own work, with the stage's message.
    case failed(stage: String, message: String)

    public var description: String {
        switch self {
        case .usage(let m): return m
        case .badParams(let list): return "bad parameters: \(list)"
        case .stageRunNotRunnable(let stage, let id, let reason): return "\(stage): stage run \(id) \(reason)"
        case .missingInput(let stage, let input): return "\(stage): required input '\(input)' was not given"
        case .undeclaredInput(let stage, let input): return "\(stage): got input '\(input)', which it does not declare"
        case .wrongInputKind(let stage, let input, let expected, let got, let artifact):
            return "\(stage): input '\(input)' must be a \(expected), but \(artifact) is a \(got)"
        case .undeclaredOutput(let stage, let output): return "\(stage): registered undeclared output '\(output)'"
        case .wrongOutputKind(let stage, let output, let expected, let got):
            return "\(stage): output '\(output)' must be a \(expected), got a \(got)"
        case .missingOutputs(let stage, let outputs):
            return "\(stage): finished without registering output(s) \(outputs.joined(separator: ", "))"
        case .failed(let stage, let message): return "\(stage): \(message)"
        }
    }
}
