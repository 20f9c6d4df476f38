import { type Logger, pino } from "pino";

/**
 * Pretty, coloured lines when a person watches the terminal; one JSON object per line otherwise
 * (files, journald, Docker, log shippers). `UNS_LOG_FORMAT` is not needed: the terminal decides.
 */
export function createLogger(level: string, stream: { isTTY?: boolean } = process.stdout): Logger {
  if (!stream.isTTY) return pino({ level });
  return pino({
    level,
    transport: {
      target: "pino-pretty",
      options: { colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname", singleLine: true },
    },
  });
}
