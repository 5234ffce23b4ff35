import { enc } from '../api/client';
import { useApiGet } from '../api/use-api-get';
import type { PackValues as PackValuesBody } from '../api/types';
import { YamlView } from '../profiles/YamlView';
import { ErrorNote } from '../ui/ErrorNote';

/**
 * What the pack deploys with on this cluster, as the hub resolved it: a Helm pack's values (passed to
 * `helm template`), a manifest pack's objects. Sensitive variable values arrive masked (******); the hub never
 * sends them. Fetched again when the pack's version or its profile's variable values change (`revision`).
 */
export function PackValues({ cluster, pack, revision }: { cluster: string; pack: string; revision: string }) {
  const { value: body, error } = useApiGet<PackValuesBody>(
    `/clusters/${enc(cluster)}/packs/${enc(pack)}/values`,
    revision,
  );

  const title = body?.type === 'manifest' ? 'Rendered manifests' : 'Rendered values';
  return (
    <section className="pack-values" aria-labelledby="pack-values-title" data-values-pack={pack}>
      <h3 id="pack-values-title">{title}</h3>
      {error ? <ErrorNote error={error} /> : null}
      {body === undefined ? (
        error ? null : (
          <p className="muted">Loading…</p>
        )
      ) : (
        <>
          <p className="muted pack-values-source">
            {body.chart ? (
              <>
                Chart <code>{body.chart}</code>, release <code>{body.releaseName}</code>,{' '}
              </>
            ) : null}
            namespace <code>{body.namespace}</code>, from {body.profile} {body.profileVersion}
            {body.masked ? '. Sensitive values are masked as ******.' : '.'}
          </p>
          {body.yaml === '' ? (
            <p className="muted">No values: the chart's defaults apply.</p>
          ) : (
            <YamlView yaml={body.yaml} label={`${title} of ${pack}`} />
          )}
          {body.notes === undefined ? null : (
            <>
              <h4 id="pack-notes-title">Notes</h4>
              <p className="muted">The chart's NOTES.txt, as helm install prints it.</p>
              <pre className="pack-notes" aria-labelledby="pack-notes-title">
                {body.notes}
              </pre>
            </>
          )}
        </>
      )}
    </section>
  );
}
