import ArgumentParser
import Store

/// The plumbing: one read-only SQL statement typed by the user. The only SQL text outside
/// Sources/Store; every other command asks the store's typed API.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run one read-only SQL statement against the store.",
        discussion: "Tables and views: see schema/*.sql. Example: lzn-pipe query \"SELECT * FROM latest_metrics\"")

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

    @OptionGroup var options: StoreOptions
    @Argument(help: "One SQL statement (reads only).") var sql: String
    @Option(help: "Output format: table, csv or json.") var format: Format = .table

    func run() throws {
        let result = try ReadOnlyQuery.run(sql, storePath: options.path)
        switch format {
        case .table: print(result.table(), terminator: "")
        case .csv: print(result.csv(), terminator: "")
        case .json: print(result.json(), terminator: "")
        }
    }
}
