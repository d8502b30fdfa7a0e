import type { SourceCheck } from "./sourceCheck.js";
import { failedCheck } from "./failedCheck.js";

/** The file source: built as serve builds it, so an unreadable or malformed file fails here. */
export const fileCheck: SourceCheck = async ({ component, md, doctor }) => {
  const name = `file ${md.secretsFile}`;
  try {
    const source = await doctor.buildSource("file", md, doctor.buildContext(component.name));
    return { checks: [{ name, status: "ok", detail: `readable, ${(await source.list()).size} secrets` }] };
  } catch (e) {
    return {
      checks: [
        failedCheck(name, e, {
          unexpected: "reading the file failed unexpectedly",
          fix: "fix secretsFile (relative paths resolve against keyless's working directory)",
        }),
      ],
    };
  }
};
