// The errors of the Report library.
import Foundation

public enum ReportError: Error, CustomStringConvertible {
    /// The page could not be written; `underlying` is the file system's error.
    case cannotWrite(path: String, underlying: any Error)

    public var description: String {
        switch self {
        case let .cannotWrite(path, underlying): return "report: cannot write \(path): \(underlying.localizedDescription)"
        }
    }
}
