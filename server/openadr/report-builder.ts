import type { ReportType } from './event-mapping.js';

export interface IntervalReading {
  vtnEventId: string;
  intervalId: number;
  resource: string;
  startTs: number;
  endTs: number;
  /** Average draw of the resource's sites over the interval; null when no sample was stored. */
  averageKw: number | null;
  curtailed: boolean;
  types: readonly ReportType[];
}

/**
 * A reportRequest (openadr3.yaml components/schemas/reportRequest) for one
 * interval of one resource: USAGE in kWh from the stored samples, and
 * OPERATING_STATE (report-payloads.schema.yaml): RUNNING_CURTAILED when an agent
 * held the limit, RUNNING_NORMAL when it did not have to, ERROR without data.
 */
export function buildReport(venName: string, r: IntervalReading): Record<string, unknown> {
  const hours = (r.endTs - r.startTs) / 3_600_000;
  const payloads: Array<{ type: string; values: Array<number | string> }> = [];
  if (r.types.includes('USAGE') && r.averageKw !== null) payloads.push({ type: 'USAGE', values: [Math.round(r.averageKw * hours * 1000) / 1000] });
  if (r.types.includes('OPERATING_STATE')) payloads.push({ type: 'OPERATING_STATE', values: [r.averageKw === null ? 'ERROR' : r.curtailed ? 'RUNNING_CURTAILED' : 'RUNNING_NORMAL'] });
  const seconds = Math.max(0, Math.round((r.endTs - r.startTs) / 1000));
  return {
    eventID: r.vtnEventId,
    clientName: venName,
    reportName: `${venName} ${r.resource} interval ${r.intervalId}`,
    payloadDescriptors: [
      ...(r.types.includes('USAGE') ? [{ objectType: 'REPORT_PAYLOAD_DESCRIPTOR', payloadType: 'USAGE', readingType: 'DIRECT_READ', units: 'KWH' }] : []),
      ...(r.types.includes('OPERATING_STATE') ? [{ objectType: 'REPORT_PAYLOAD_DESCRIPTOR', payloadType: 'OPERATING_STATE' }] : []),
    ],
    resources: [{
      resourceName: r.resource,
      intervals: [{ id: r.intervalId, intervalPeriod: { start: new Date(r.startTs).toISOString(), duration: `PT${seconds}S` }, payloads }],
    }],
  };
}
