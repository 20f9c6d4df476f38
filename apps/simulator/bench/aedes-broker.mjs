// A bare aedes 1.2.0 broker on a free port, run as a child process by publish-rate.mjs so that the
// broker and the simulator each get a core. Sends {port} when listening and {cpu} when asked.
import { createServer } from "node:net";
import { Aedes } from "aedes";

const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
server.listen(0, "127.0.0.1", () => process.send?.({ port: server.address().port }));
let mark = process.cpuUsage();
process.on("message", (m) => {
  if (m === "cpu") {
    const used = process.cpuUsage(mark);
    mark = process.cpuUsage();
    process.send?.({ cpu: (used.user + used.system) / 1000 });
  } else if (m === "stop") {
    server.close(() => broker.close(() => process.exit(0)));
  }
});
process.on("disconnect", () => process.exit(0));
