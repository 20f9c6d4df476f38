import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The UNS server serves dist/ at / ; in development Vite serves the app and forwards the API,
// the event stream and MQTT over WebSocket to a server on the default port.
const target = process.env.UNS_CONSOLE_API ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  // One app chunk (React, react-query, uPlot, the Overview) near 350 kB raw / 115 kB gzip; the other pages load on demand.
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 400 },
  server: {
    proxy: {
      "/api": { target, changeOrigin: true },
      "/mqtt": { target: target.replace(/^http/, "ws"), ws: true },
    },
  },
});
