/** One instruction of a Dockerfile, continuation lines joined. */
export interface DockerInstruction {
  /** Upper-case keyword (`FROM`, `RUN`, `COPY`…). */
  keyword: string;
  /** Everything after the keyword, continuation lines joined with a space. */
  args: string;
  /** 1-based line of the keyword. */
  line: number;
}

/** A build stage: `FROM <from> [AS <name>]` and the instructions up to the next FROM. */
export interface DockerStage {
  name: string | undefined;
  /** Image or stage it starts from, ARG references left as written (e.g. `${NODE_IMAGE}`). */
  from: string;
  instructions: DockerInstruction[];
}

/** A parsed Dockerfile: global ARGs (before the first FROM) and the stages. */
export interface Dockerfile {
  globalArgs: Map<string, string | undefined>;
  stages: DockerStage[];
}

/**
 * Parses the parts of Dockerfile syntax this repository's Dockerfile uses: comments, line
 * continuations, heredocs (`<<'EOF'` … `EOF`, whose lines belong to the instruction) and
 * `FROM … AS …` stages.
 */
export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split('\n');
  const instructions: DockerInstruction[] = [];
  let index = 0;
  while (index < lines.length) {
    const startLine = index + 1;
    const first = (lines[index] ?? '').trim();
    index += 1;
    if (first === '' || first.startsWith('#')) continue;
    let joined = first;
    while (joined.endsWith('\\')) {
      joined = joined.slice(0, -1).trimEnd();
      // Comment lines inside a continued instruction are dropped, as the builder does.
      while (index < lines.length && /^\s*#/.test(lines[index] ?? '')) index += 1;
      if (index >= lines.length) break;
      joined = `${joined} ${(lines[index] ?? '').trim()}`;
      index += 1;
    }
    const heredoc = /<<-?(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(joined);
    if (heredoc) {
      const delimiter = heredoc[2];
      const body: string[] = [];
      while (index < lines.length && (lines[index] ?? '').trim() !== delimiter) {
        body.push(lines[index] ?? '');
        index += 1;
      }
      index += 1; // the delimiter
      joined = `${joined}\n${body.join('\n')}`;
    }
    const match = /^([A-Za-z]+)\s*([\s\S]*)$/.exec(joined);
    if (!match) throw new Error(`Dockerfile line ${startLine}: cannot read "${joined}"`);
    instructions.push({ keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '', line: startLine });
  }

  const globalArgs = new Map<string, string | undefined>();
  const stages: DockerStage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'));
      const from = words[0];
      if (from === undefined) throw new Error(`Dockerfile line ${instruction.line}: FROM without an image`);
      const asIndex = words.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({ name: asIndex >= 0 ? words[asIndex + 1] : undefined, from, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage) {
      stage.instructions.push(instruction);
    } else if (instruction.keyword === 'ARG') {
      const [name, value] = instruction.args.split('=', 2);
      if (name !== undefined) globalArgs.set(name.trim(), value?.trim());
    } else {
      throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} before the first FROM`);
    }
  }
  return { globalArgs, stages };
}

/** The stage named `name`; throws when there is none. */
export function stageNamed(dockerfile: Dockerfile, name: string): DockerStage {
  const stage = dockerfile.stages.find((candidate) => candidate.name === name);
  if (!stage) throw new Error(`The Dockerfile has no stage named "${name}"`);
  return stage;
}

/** The stage and the stages it is built FROM, nearest first (ends at an external image). */
export function stageChain(dockerfile: Dockerfile, name: string): DockerStage[] {
  const chain: DockerStage[] = [];
  let current: DockerStage | undefined = stageNamed(dockerfile, name);
  while (current) {
    if (chain.includes(current)) throw new Error(`Stage "${name}" is built from itself`);
    chain.push(current);
    const parent: string = current.from;
    current = dockerfile.stages.find((candidate) => candidate.name === parent);
  }
  return chain;
}

/**
 * The last `keyword` instruction that applies to the image of stage `name` (its own, else its
 * parents'), as the builder resolves USER, CMD, ENTRYPOINT and HEALTHCHECK.
 */
export function effectiveInstruction(dockerfile: Dockerfile, name: string, keyword: string): DockerInstruction | undefined {
  for (const stage of stageChain(dockerfile, name)) {
    const found = stage.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);
    if (found) return found;
  }
  return undefined;
}

/** Every ENV variable set for the image of stage `name` (parents first, later values win). */
export function effectiveEnv(dockerfile: Dockerfile, name: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const stage of stageChain(dockerfile, name).reverse()) {
    for (const instruction of stage.instructions.filter((candidate) => candidate.keyword === 'ENV')) {
      for (const pair of instruction.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
        env.set(pair[1] ?? '', (pair[2] ?? '').replace(/^"|"$/g, ''));
      }
    }
  }
  return env;
}

/** The JSON (exec) form of CMD / ENTRYPOINT, or of the command after `HEALTHCHECK … CMD`. */
export function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((item): item is string => typeof item === 'string')) {
    throw new Error(`Not an exec-form command: ${args}`);
  }
  return parsed;
}
