import ArrayFormats
import LZN

/// What is wrong with an input of `lzn-flow`; every case names the file.
enum FlowInputError: Error, CustomStringConvertible {
    case unsupportedDType(path: String, dtype: DType)
    case wrongRank(path: String, shape: [Int], expected: String)
    case shapeMismatch(path: String, shape: [Int], expected: String)
    case nonFinite(path: String, index: Int)
    case invalidWeights(path: String, reason: String)

    var description: String {
        switch self {
        case let .unsupportedDType(path, dtype):
            return "\(path): dtype \(dtype.rawValue) is not supported; use float32 or float64"
        case let .wrongRank(path, shape, expected):
            return "\(path): shape \(shape) is not \(expected)"
        case let .shapeMismatch(path, shape, expected):
            return "\(path): shape \(shape) does not match: expected \(expected)"
        case let .nonFinite(path, index):
            return "\(path): non-finite value (NaN or infinity) at flat index \(index)"
        case let .invalidWeights(path, reason):
            return "\(path): invalid weights: \(reason)"
        }
    }
}

/// A float `.npy` input, checked for dtype and finiteness, kept in float64 until the command picks
/// its precision.
struct FlowInput {
    let path: String
    let dtype: DType
    let shape: [Int]
    let values: [Double]

    init(path: String) throws {
        let array = try NPY.read(contentsOf: path)
        guard array.dtype == .float32 || array.dtype == .float64 else {
            throw FlowInputError.unsupportedDType(path: path, dtype: array.dtype)
        }
        self.path = path
        dtype = array.dtype
        shape = array.shape
        values = array.doubles()
        if let bad = values.firstIndex(where: { !$0.isFinite }) { throw FlowInputError.nonFinite(path: path, index: bad) }
    }

    /// The input as a B×D matrix (B, D ≥ 1), optionally with a required row and column count.
    func matrix<T: FlowScalar>(rows: Int? = nil, columns: Int? = nil, as _: T.Type = T.self) throws -> FlowMatrix<T> {
        guard shape.count == 2, shape[0] > 0, shape[1] > 0 else {
            throw FlowInputError.wrongRank(path: path, shape: shape, expected: "a non-empty 2-D B×D array")
        }
        if let rows, shape[0] != rows {
            throw FlowInputError.shapeMismatch(path: path, shape: shape, expected: "\(rows) rows")
        }
        if let columns, shape[1] != columns {
            throw FlowInputError.shapeMismatch(path: path, shape: shape, expected: "\(columns) columns (the anchors' D)")
        }
        return FlowMatrix(rows: shape[0], columns: shape[1], values: values.map { T($0) })
    }

    /// The input as N per-anchor weights: 1-D, non-negative, not all zero.
    func weights<T: FlowScalar>(count: Int, as _: T.Type = T.self) throws -> [T] {
        guard shape == [count] else {
            throw FlowInputError.shapeMismatch(path: path, shape: shape, expected: "[\(count)] (one weight per anchor)")
        }
        if let bad = values.firstIndex(where: { $0 < 0 }) {
            throw FlowInputError.invalidWeights(path: path, reason: "weight \(bad) is negative")
        }
        guard values.contains(where: { $0 > 0 }) else {
            throw FlowInputError.invalidWeights(path: path, reason: "all weights are zero")
        }
        return values.map { T($0) }
    }
}

/// Writes a matrix (or a stack of matrices) in the command's precision.
func writeOutput<T: FlowScalar>(_ values: [T], shape: [Int], to path: String) throws {
    let array: NDArray
    if T.isSinglePrecision {
        array = NDArray(float32: values.map { Float($0.doubleValue) }, shape: shape)
    } else {
        array = NDArray(float64: values.map(\.doubleValue), shape: shape)
    }
    try NPY.write(array, to: path)
}
