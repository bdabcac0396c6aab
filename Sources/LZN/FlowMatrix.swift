/// A dense row-major matrix: the raw-buffer currency of the latent flows (points, anchors,
/// gradients). `values[r * columns + c]` is row `r`, column `c`.
public struct FlowMatrix<Scalar: FlowScalar>: Equatable, Sendable {
    public var rows: Int
    public var columns: Int
    public var values: [Scalar]

    /// `values.count` must equal `rows * columns` (a programming error otherwise; user input goes
    /// through the flows' validation, which throws `LatentFlowError`).
    public init(rows: Int, columns: Int, values: [Scalar]) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns,
                     "FlowMatrix: \(values.count) values do not fill \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(zeros rows: Int, _ columns: Int) {
        self.init(rows: rows, columns: columns, values: [Scalar](repeating: 0, count: rows * columns))
    }

    /// Builds a matrix from nested rows (all of the same length).
    public init(_ nestedRows: [[Scalar]]) {
        let columns = nestedRows.first?.count ?? 0
        precondition(nestedRows.allSatisfy { $0.count == columns }, "FlowMatrix: ragged rows")
        self.init(rows: nestedRows.count, columns: columns, values: nestedRows.flatMap { $0 })
    }

    public subscript(row: Int, column: Int) -> Scalar {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    public func row(_ index: Int) -> ArraySlice<Scalar> {
        values[(index * columns)..<((index + 1) * columns)]
    }

    /// The same matrix in another precision.
    public func converted<Other: FlowScalar>(to _: Other.Type = Other.self) -> FlowMatrix<Other> {
        FlowMatrix<Other>(rows: rows, columns: columns, values: values.map { Other($0.doubleValue) })
    }
}
