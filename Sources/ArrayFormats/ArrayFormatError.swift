/// Errors of the ArrayFormats library: one case per format, carrying what is wrong; `description`
/// is the message users see.
public enum ArrayFormatError: Error, CustomStringConvertible, Equatable {
    case npy(NPYProblem)
    case png(PNGProblem)
    case gzip(GzipProblem)

    public var description: String {
        switch self {
        case .npy(let problem): return problem.description
        case .png(let problem): return problem.description
        case .gzip(let problem): return problem.description
        }
    }
}
