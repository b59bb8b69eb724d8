/** Test fixtures shared by the OpenADR integration tests. */
export const CLIENT = { clientId: 'ven-client', clientSecret: 'ven-secret' };

/** A VTN eventRequest: one IMPORT_CAPACITY_LIMIT interval of `kw` kW. */
export const limitEvent = (programID: string, startTs: number, duration: string, kw: number) => ({
  programID, eventName: 'limit',
  payloadDescriptors: [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'KW' }],
  intervalPeriod: { start: new Date(startTs).toISOString(), duration },
  intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [kw] }] }],
});
