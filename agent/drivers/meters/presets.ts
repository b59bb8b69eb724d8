/**
 * Register maps of common revenue meters (docs/decisions.md#miners). Addresses are 0-based
 * protocol addresses; the vendor documents' numbering is cited beside each.
 */
import type { RegisterMap } from './register-map.js';

export const METER_PRESETS = {
  /**
   * Eastron SDM630 Modbus protocol, input registers (function 04), IEEE 754
   * float32, high word first. 30053 "Total system power" W at address 0x0034;
   * 30073 "Import Wh since last reset" at 0x0048, which the SDM630 reports in kWh
   * despite the table's heading (its display and every integration read kWh).
   */
  'eastron-sdm630': {
    powerKw: { register: 0x0034, function: 4, type: 'float32', wordOrder: 'big', scale: 0.001 },
    importKwh: { register: 0x0048, function: 4, type: 'float32', wordOrder: 'big', scale: 1 },
  },
  /**
   * Schneider PowerLogic PM5000 series (PM5100/PM5300/PM5500) register list,
   * holding registers (function 03), float32 high word first. Register 3060
   * "Active Power Total" kW → address 3059; register 2700 "Active Energy
   * Delivered (Into Load)" kWh → address 2699. The same map is shared by the
   * iEM3000 and PM2xxx families.
   */
  'schneider-pm5000': {
    powerKw: { register: 3059, function: 3, type: 'float32', wordOrder: 'big', scale: 1 },
    importKwh: { register: 2699, function: 3, type: 'float32', wordOrder: 'big', scale: 1 },
  },
} as const satisfies Record<string, Required<RegisterMap>>;

export type MeterPresetName = keyof typeof METER_PRESETS;
export const METER_PRESET_NAMES = Object.keys(METER_PRESETS) as [MeterPresetName, ...MeterPresetName[]];

export function presetMap(name: MeterPresetName): Required<RegisterMap> {
  return METER_PRESETS[name];
}
