// docs/power-bi.md agrees with the connector: the addresses it gives, the folder names, the messages it quotes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONNECTOR_SOURCE, resourceStrings } from './powerquery-document';

const guide = readFileSync(join(__dirname, '..', '..', 'docs', 'power-bi.md'), 'utf8');

function resource(name: string): string {
  const value = resourceStrings().get(name);
  if (value === undefined) throw new Error(`resources.resx has no ${name}`);
  return value;
}

describe('docs/power-bi.md', () => {
  it('gives the sandbox addresses and credentials: workspace demo, user demo, API key demo', () => {
    expect(guide).toContain('`http://127.0.0.1:8080/odata/demo`');
    expect(guide).toContain('`http://127.0.0.1:8080/odata/demo/exactonline/`');
    expect(guide).toContain('`http://127.0.0.1:8080/odata/demo/twinfield/`');
    expect(guide).toMatch(/workspace `demo`, user `demo`, API key `demo`/);
  });

  it('names the feeds and folders the connector builds its navigation from', () => {
    const sources = [...CONNECTOR_SOURCE.matchAll(/\{"([^"]+)", "([a-z]+)"\}/g)].map((m) => [m[1], m[2]]);
    expect(sources.map(([, path]) => path)).toEqual(['exactonline', 'twinfield']);
    for (const [folder, path] of sources) {
      expect(guide).toContain(`**${folder}**`);
      expect(guide).toContain(`https://ledgerfeed.example.com/odata/acme/${path}/`);
    }
  });

  it('quotes the messages the connector shows as the connector words them', () => {
    expect(resource('ErrorHttpsRequired')).toContain('Ledgerfeed sends your API key with every request, so the address must start with https://');
    expect(guide).toContain('*Ledgerfeed sends your API key with every request, so the address must start with https://*');
    expect(resource('ErrorWorkspaceNotFound').startsWith('No Ledgerfeed workspace at ')).toBe(true);
    expect(guide).toContain('*No Ledgerfeed workspace at …*');
    expect(guide).toContain(`**${resource('KeyLabel')}**`);
    expect(guide).toContain(`**${resource('UsernamePasswordAuthenticationLabel')}**`);
  });

  it('tells where the connector goes and which setting lets Power BI load it', () => {
    expect(guide).toContain('[Documents]\\Power BI Desktop\\Custom Connectors');
    expect(guide).toContain('Security → Data Extensions');
  });
});
