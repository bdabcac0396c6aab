import ArgumentParser

@main
struct LZNPipe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lzn-pipe",
        abstract: "Latent Zoning Networks as an incremental pipeline over a SQLite artifact store.",
        discussion: """
            The store is chosen by --store PATH, else $LZN_STORE, else .lzn/store.sqlite under the \
            current directory. Artifacts are named by id, any unique id prefix, or name (the newest).
            """,
        subcommands: [
            QueryCommand.self, ListCommand.self, ShowCommand.self, ExportCommand.self, ImportCommand.self,
            FsckCommand.self, GCCommand.self, PushCommand.self, PullCommand.self,
            RunCommand.self, StatusCommand.self, DagCommand.self, RunsCommand.self, LogCommand.self, MetricsCommand.self, CompareCommand.self, ReportCommand.self,
        ]
    )
}
