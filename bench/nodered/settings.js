// Node-RED settings for bench/peers.py: the flow's HTTP endpoints only, on 127.0.0.1 and the
// port in $BENCH_NODE_RED_PORT; no editor or admin API, no logging of requests, no telemetry.
module.exports = {
    uiHost: "127.0.0.1",
    uiPort: Number(process.env.BENCH_NODE_RED_PORT),
    httpAdminRoot: false,
    credentialSecret: false,
    flowFilePretty: true,
    functionExternalModules: false,
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    runtimeState: { enabled: false },
    logging: { console: { level: "warn", metrics: false, audit: false } },
};
