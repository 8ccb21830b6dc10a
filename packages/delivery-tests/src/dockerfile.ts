/** A small Dockerfile reader: stages with their base, and each stage's instructions (continuations joined). */
import fs from 'node:fs';

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

export function parseDockerfile(file: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = fs
    .readFileSync(file, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const text = rest.join(' ');
    const kw = keyword.toUpperCase();
    if (kw === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(text);
      if (!m) throw new Error(`unreadable FROM: ${line}`);
      stages.push({ name: m[2] ?? String(stages.length), from: m[1]!, instructions: [] });
    } else if (kw === 'ARG' && stages.length === 0) {
      const [k, v = ''] = text.split('=');
      args[k!] = v;
    } else {
      stages.at(-1)?.instructions.push({ keyword: kw, args: text });
    }
  }
  return { args, stages };
}

/** The stages a stage builds on, nearest first (FROM chains within the file). */
export function lineage(stages: Stage[], name: string): Stage[] {
  const chain: Stage[] = [];
  for (let s = stages.find((x) => x.name === name); s; s = stages.find((x) => x.name === s!.from)) chain.push(s);
  return chain;
}
