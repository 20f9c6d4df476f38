export { processorErrorCodes } from "./errors.js";
