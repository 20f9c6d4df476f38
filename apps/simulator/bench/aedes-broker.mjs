// A bare aedes 1.2.0 broker on a free port, for the benchmark (run as a child process so the
// broker and the simulator each have a core). Prints {"port": n} on stdout when listening.
import { createServer } from "node:net";
import { Aedes } from "aedes";

const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on("message", (m) => {
  if (m === "stop") server.close(() => broker.close(() => process.exit(0)));
});
process.on("disconnect", () => process.exit(0));
