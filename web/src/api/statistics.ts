import { api, request } from "./client";
import type { ItemStatistics, StatisticsDay } from "./schema";

export type { ItemStatistics, StatisticsDay };

/** How a video does over its last `days` days, today (UTC) the last: admins only. */
export function getItemStatistics(itemId: string, days: number, signal?: AbortSignal): Promise<ItemStatistics> {
  const params = { path: { item_id: itemId }, query: { days } };
  return request((headers) => api.GET("/api/v1/catalogue/{item_id}/statistics", { headers, params, signal }));
}
