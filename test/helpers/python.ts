/**
 * Runs a test's Python client script. Always /usr/bin/python3: Debian's python3-pika,
 * python3-paho-mqtt and python3-stomp are installed for it, not for the python3 on PATH.
 */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';

export interface PyResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the script at `path` to its end; killed (and rejected) after `timeoutMs`. */
export function runPythonScript(path: string, args: string[], timeoutMs: number): Promise<PyResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${basename(path)} timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
