import { describe, expect, it } from 'vitest';
import { sinkCommand, SINK_SCRIPT } from './sink-process.ts';

describe('sinkCommand', () => {
  it('defaults to the scene ports and zone on every address', () => {
    expect(sinkCommand()).toEqual([
      'python3', SINK_SCRIPT,
      '--bind', '0.0.0.0', '--http-port', '8080', '--tcp-port', '9000', '--udp-port', '9001',
      '--dns-port', '53', '--query-port', '8081', '--zone', 'exfil.test',
    ]);
  });

  it('passes every option as its flag, for the image path too', () => {
    const command = sinkCommand(
      { bind: '10.9.0.2', answerIp: '10.9.0.2', metadataPort: 80, metadataBind: '169.254.169.254', queryBind: '10.9.0.2', icmp: false },
      '/opt/breachmatrix/sink.py',
    );
    expect(command.slice(0, 2)).toEqual(['python3', '/opt/breachmatrix/sink.py']);
    expect(command).toEqual(expect.arrayContaining(['--answer-ip', '--metadata-port', '80', '--metadata-bind', '169.254.169.254', '--no-icmp']));
    expect(command[command.indexOf('--query-bind') + 1]).toBe('10.9.0.2');
  });
});
